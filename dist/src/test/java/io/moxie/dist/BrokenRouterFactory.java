package io.moxie.dist;

import io.moxie.api.ComponentContext;
import io.moxie.api.MoxieException;
import io.moxie.api.MoeSpec;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;

/**
 * A router factory with a bug: it registers fine but every build fails. Packaged at test time into a bundle of its
 * own ({@link TestBundles}) and loaded by Felix from that jar, never from the test class path.
 */
public final class BrokenRouterFactory implements RouterFactory {
    @Override
    public String name() {
        return "topk";
    }

    @Override
    public Router create(ComponentContext context, MoeSpec spec) {
        throw new MoxieException("this topk is broken on purpose");
    }
}

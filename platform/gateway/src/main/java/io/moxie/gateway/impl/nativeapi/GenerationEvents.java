package io.moxie.gateway.impl.nativeapi;

import ai.djl.ndarray.types.DataType;
import io.moxie.gateway.proto.moxie.GenerateResponse;
import io.moxie.gateway.proto.moxie.RoutingTrace;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The events of a {@code Generate} stream once its request has finished. When the pipeline streamed tokens while
 * it ran (a decoder calling {@code RequestContext.emitTokens}), those events were sent already and this adds every
 * output whole, the routing traces and a last event with {@code done}. When it streamed nothing, the tokens are
 * derived from the outputs: an integer output named {@code token_ids}, {@code output_ids} or {@code tokens} becomes
 * one event per token, with a {@code uint8} output {@code text} decoded as UTF-8 into the last token event.
 */
final class GenerationEvents {
    static final Set<String> TOKEN_OUTPUTS = Set.of("token_ids", "output_ids", "tokens");
    static final String TEXT_OUTPUT = "text";

    private GenerationEvents() {
    }

    /**
     * @param streamed how many token events were already sent while the request ran
     */
    static List<GenerateResponse> of(InferenceResult result, int streamed) {
        int version = result.version().version();
        List<GenerateResponse> events = new ArrayList<>();
        if (streamed > 0) {
            for (Map.Entry<String, HostTensor> e : result.outputs().entrySet()) {
                events.add(GenerateResponse.newBuilder().setIndex(streamed + events.size()).setVersion(version)
                        .setOutput(NativeTensors.encode(e.getKey(), e.getValue())).build());
            }
            for (RoutingTrace r : NativeTensors.routing(result.routing())) {
                events.add(GenerateResponse.newBuilder().setIndex(streamed + events.size()).setVersion(version)
                        .setRouting(r).build());
            }
            events.add(GenerateResponse.newBuilder().setIndex(streamed + events.size()).setVersion(version)
                    .setDone(true).build());
            return events;
        }
        String text = null;
        HostTensor textTensor = result.outputs().get(TEXT_OUTPUT);
        if (textTensor != null && textTensor.dataType() == DataType.UINT8) {
            text = new String(textTensor.toByteArray(), StandardCharsets.UTF_8);
        }
        boolean textSent = false;
        for (Map.Entry<String, HostTensor> e : result.outputs().entrySet()) {
            long[] ids = TOKEN_OUTPUTS.contains(e.getKey()) ? integers(e.getValue()) : null;
            if (ids != null) {
                for (int i = 0; i < ids.length; i++) {
                    GenerateResponse.Builder b = GenerateResponse.newBuilder().setIndex(events.size())
                            .setVersion(version).addTokenIds(ids[i]);
                    if (i == ids.length - 1 && text != null && !textSent) {
                        b.setText(text);
                        textSent = true;
                    }
                    events.add(b.build());
                }
            }
        }
        for (Map.Entry<String, HostTensor> e : result.outputs().entrySet()) {
            if (TOKEN_OUTPUTS.contains(e.getKey()) && integers(e.getValue()) != null) {
                continue;
            }
            if (e.getKey().equals(TEXT_OUTPUT) && textSent) {
                continue;
            }
            events.add(GenerateResponse.newBuilder().setIndex(events.size()).setVersion(version)
                    .setOutput(NativeTensors.encode(e.getKey(), e.getValue())).build());
        }
        for (RoutingTrace r : NativeTensors.routing(result.routing())) {
            events.add(GenerateResponse.newBuilder().setIndex(events.size()).setVersion(version).setRouting(r).build());
        }
        events.add(GenerateResponse.newBuilder().setIndex(events.size()).setVersion(version).setDone(true).build());
        return events;
    }

    private static long[] integers(HostTensor t) {
        ByteBuffer b = t.data();
        int n = (int) t.numElements();
        long[] out = new long[n];
        switch (t.dataType()) {
            case INT64 -> b.asLongBuffer().get(out);
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(i * 4);
                }
            }
            default -> {
                return null;
            }
        }
        return out;
    }
}

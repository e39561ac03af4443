package io.moxie.experts.blas;

import ai.djl.Device;
import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.blas.OpenBlas;

/**
 * What every factory of OpenBLAS expert banks does before its bank loads a weight: check that the component computes
 * on the CPU and that the host has OpenBLAS; each refusal names the layer and the DJL bank that serves instead. The
 * same two conditions, asked without building anything, answer {@link #supports}, so a stage listing
 * {@code [grouped-mlp-blas, grouped-mlp]} gets the DJL bank where these banks would refuse. Public only for the
 * factories of the sibling packages; the bundle exports nothing.
 */
public abstract class BlasExpertBankFactory implements ExpertBankFactory {
    private final String name;
    private final String djlBank;

    /**
     * @param name the bank's name ({@code grouped-mlp-blas})
     * @param djlBank the bank with the same numbers on DJL ({@code grouped-mlp}), which also runs on GPUs
     */
    protected BlasExpertBankFactory(String name, String djlBank) {
        this.name = name;
        this.djlBank = djlBank;
    }

    @Override
    public final String name() {
        return name;
    }

    /** Only on the CPU, and only where OpenBLAS loads: elsewhere a stage's preference list moves on to its DJL bank. */
    @Override
    public final boolean supports(Device device) {
        return onCpu(device) && OpenBlas.available();
    }

    /** @throws MoxieException if the component does not run on the CPU or the host has no OpenBLAS */
    @Override
    public final ExpertBank create(ComponentContext context, MoeSpec spec) {
        if (!onCpu(context.device())) {
            throw new MoxieException("MoE layer " + spec.layer() + ": expert bank '" + name + "' runs its GEMMs on "
                    + "OpenBLAS on the CPU, but component '" + context.name() + "' runs on " + context.device()
                    + "; use '" + djlBank + "', which runs there");
        }
        try {
            OpenBlas.require("MoE layer " + spec.layer() + ": expert bank '" + name + "'",
                    "Use the expert bank '" + djlBank + "' instead, which needs only DJL");
        } catch (IllegalStateException e) {
            throw new MoxieException(e.getMessage(), e);
        }
        return build(context, spec);
    }

    /** Builds the bank once {@link #create} has found the device and OpenBLAS fit. */
    protected abstract ExpertBank build(ComponentContext context, MoeSpec spec);

    // a CPU, not merely "not a GPU": OpenBLAS reads the weights in place, which only host memory allows (an MPS or
    // other accelerator device would pass a GPU test and then fail in the bank's constructor)
    private static boolean onCpu(Device device) {
        return Device.Type.CPU.equals(device.getDeviceType());
    }
}

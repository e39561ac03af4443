package io.moxie.experts.blas;

import ai.djl.Device;
import io.moxie.api.ComponentContext;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.blas.OpenBlas;

/**
 * What every OpenBLAS expert bank checks before it loads a weight: that its component computes on the CPU, and that
 * the host has OpenBLAS. Each refusal names the layer and the DJL bank that serves instead. The same two conditions,
 * asked without building anything, answer {@code supports}, so a stage listing {@code [grouped-mlp-blas, grouped-mlp]}
 * gets the DJL bank where these banks would refuse.
 */
public final class BlasBankChecks {
    private BlasBankChecks() {
    }

    /** Returns whether an OpenBLAS bank can compute on {@code device}: a CPU, and OpenBLAS loadable on this host. */
    public static boolean supports(Device device) {
        return onCpu(device) && OpenBlas.available();
    }

    // a CPU, not merely "not a GPU": OpenBLAS reads the weights in place, which only host memory allows (an MPS or
    // other accelerator device would pass a GPU test and then fail in the bank's constructor)
    private static boolean onCpu(Device device) {
        return Device.Type.CPU.equals(device.getDeviceType());
    }

    /**
     * @param bank the bank's name ({@code grouped-mlp-blas})
     * @param djlBank the bank with the same numbers on DJL ({@code grouped-mlp}), which also runs on GPUs
     * @throws MoxieException if the component does not run on the CPU or the host has no OpenBLAS
     */
    public static void require(String bank, String djlBank, ComponentContext context, MoeSpec spec) {
        if (!onCpu(context.device())) {
            throw new MoxieException("MoE layer " + spec.layer() + ": expert bank '" + bank + "' runs its GEMMs on "
                    + "OpenBLAS on the CPU, but component '" + context.name() + "' runs on " + context.device()
                    + "; use '" + djlBank + "', which runs there");
        }
        try {
            OpenBlas.require("MoE layer " + spec.layer() + ": expert bank '" + bank + "'",
                    "Use the expert bank '" + djlBank + "' instead, which needs only DJL");
        } catch (IllegalStateException e) {
            throw new MoxieException(e.getMessage(), e);
        }
    }
}

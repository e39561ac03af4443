package io.moxie.encoders.s2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.impl.Inputs;
import java.util.List;
import java.util.Map;

/** Merge, area-downsample and concat (see {@link S2MergeStageFactory}); immutable, hence thread-safe. */
final class S2MergeStage implements Stage {
    static final String FEATURES = "features";

    private final String name;
    private final Scales scales;
    private final int grid;
    private final long width;

    /** @param width the tower's {@code D}, or -1 when unknown until run time */
    S2MergeStage(String name, Scales scales, int grid, long width) {
        this.name = name;
        this.scales = scales;
        this.grid = grid;
        this.width = width;
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec(FEATURES, DataType.FLOAT32, new long[] {-1, tokens(), width}));
    }

    @Override
    public List<TensorSpec> outputs() {
        long merged = width < 0 ? -1 : width * scales.count();
        return List.of(new TensorSpec(FEATURES, DataType.FLOAT32, new long[] {-1, tokens(), merged}));
    }

    /** Without S² the features pass through whatever their tokens (with or without CLS); S² needs the G² grid. */
    private long tokens() {
        return scales.count() == 1 ? -1 : (long) grid * grid;
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray features = Inputs.require(inputs, FEATURES, name);
        long[] shape = features.getShape().getShape();
        int perImage = scales.cropsPerImage();
        if (!inputs().get(0).accepts(shape) || shape[0] % perImage != 0) {
            throw new InvalidInputException("stage '" + name + "': input 'features' must be [B·" + perImage + ", "
                    + grid * grid + ", D] for scales " + scales + " (patch tokens only), got " + features.getShape());
        }
        if (scales.count() == 1) {
            return Map.of(FEATURES, features); // no S²: nothing to merge
        }
        long images = shape[0] / perImage;
        long d = shape[2];
        NDArray merged;
        try (NDManager scope = request.manager().newSubManager()) {
            features.tempAttach(scope);
            NDList parts = new NDList();
            long offset = 0;
            for (int i = 0; i < scales.count(); i++) {
                int s = scales.get(i);
                long rows = (long) s * s * images;
                NDArray crops = features.get(new NDIndex("{}:{}", offset, offset + rows));
                offset += rows;
                parts.add(s == 1 ? crops : mergeAndPool(crops, s, images, d));
            }
            merged = NDArrays.concat(parts, 2);
            merged.attach(request.manager());
        }
        return Map.of(FEATURES, merged);
    }

    /** {@code [s²B, G², D]} crop-major -> merged {@code sG × sG} grid -> mean of each {@code s×s} block. */
    private NDArray mergeAndPool(NDArray crops, int s, long images, long d) {
        // crop (i, j) of image b holds grid rows i·G + r, columns j·G + c of the merged grid
        NDArray grid2d = crops.reshape(s, s, images, grid, grid, d)
                .transpose(2, 0, 3, 1, 4, 5) // (b, i, r, j, c, d): merged row i·G + r, column j·G + c
                .reshape(images, (long) s * grid, (long) s * grid, d);
        // area downsample: output cell (y, x) averages merged rows y·s .. y·s+s-1 and columns x·s .. x·s+s-1
        return grid2d.reshape(images, grid, s, grid, s, d).sum(new int[] {2, 4}).div(s * s)
                .reshape(images, (long) grid * grid, d);
    }
}

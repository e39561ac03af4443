package io.moxie.gateway.impl.nativeapi;

import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.proto.moxie.PipelineInfo;
import io.moxie.gateway.proto.moxie.StageInfo;
import io.moxie.gateway.proto.moxie.TensorInfo;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.pipeline.StageDefinition;
import io.moxie.kernel.pipeline.VersionInfo;
import java.util.Map;
import java.util.TreeMap;

/** Describes a pipeline's state for {@code moxie.v1}: per stage, what the definition asks for and what runs. */
final class PipelineInfos {
    private PipelineInfos() {
    }

    static PipelineInfo of(PipelineStatus s, boolean persisted, boolean withDefinition) {
        PipelineDefinition def = s.definition();
        VersionInfo v = s.version();
        PipelineInfo.Builder b = PipelineInfo.newBuilder().setName(s.name()).setState(s.state().name())
                .setVersion(v == null ? 0 : v.version()).setPersisted(persisted);
        if (s.lastError() != null) {
            b.setLastError(s.lastError());
        }
        if (def == null) {
            return b.build();
        }
        b.setDescription(def.description());
        for (StageDefinition stage : def.stages()) {
            StageInfo.Builder st = StageInfo.newBuilder().setName(stage.name()).setKind(stage.kind());
            if (stage.model() != null) {
                st.setModel(stage.model());
            }
            st.addAllRouterPreference(stage.router()).addAllExpertsPreference(stage.experts());
            new TreeMap<>(stage.config()).forEach((k, val) -> st.putConfig(k, String.valueOf(val)));
            VersionInfo.StageInfo running = running(v, stage.name());
            if (running != null) {
                st.setKindProvider(running.kind());
                if (running.router() != null) {
                    st.setRouter(running.routerImplementation()).setRouterProvider(running.router());
                }
                if (running.experts() != null) {
                    st.setExperts(running.expertsImplementation()).setExpertsProvider(running.experts());
                }
            }
            // nothing of the stage's runs: a single name is still what it would run, a list says nothing until chosen
            if (st.getRouter().isEmpty() && stage.router().size() == 1) {
                st.setRouter(stage.router().get(0));
            }
            if (st.getExperts().isEmpty() && stage.experts().size() == 1) {
                st.setExperts(stage.experts().get(0));
            }
            b.addStages(st);
        }
        for (PipelineDefinition.InputDefinition in : def.inputs()) {
            TensorInfo.Builder t = TensorInfo.newBuilder().setName(in.name())
                    .setDatatype(TensorTypes.fromPipelineDtype(in.dataType())).setOptional(in.optional());
            if (in.shape() != null) {
                for (long d : in.shape()) {
                    t.addShape(d);
                }
            }
            b.addInputs(t);
        }
        for (Map.Entry<String, String> out : new TreeMap<>(def.outputs()).entrySet()) {
            b.addOutputs(out.getKey());
        }
        if (withDefinition && def.yaml() != null) {
            b.setDefinition(def.yaml());
        }
        return b.build();
    }

    private static VersionInfo.StageInfo running(VersionInfo v, String stage) {
        if (v == null) {
            return null;
        }
        return v.stages().stream().filter(s -> s.name().equals(stage)).findFirst().orElse(null);
    }
}

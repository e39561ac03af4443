package io.moxie.kernel.model;

import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import com.google.gson.Gson;
import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import io.moxie.kernel.io.SafetensorsFile;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The models Moxie serves: a folder holding one directory per model, each with an HF-style {@code config.json} and
 * its weights in {@code *.safetensors} (sharded checkpoints through {@code model.safetensors.index.json}).
 *
 * <p>Opened models are shared: every pipeline and version using a model reads the same memory-mapped files. The
 * repository owns them and closes them when it is closed. Thread-safe.
 */
public final class ModelRepository implements AutoCloseable {
    private static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path root;
    private final Map<Path, OpenModel> open = new LinkedHashMap<>();
    private final Gson gson = new Gson();

    /** @param root the folder holding one directory per model (it may not exist yet) */
    public ModelRepository(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** Returns the repository folder. */
    public Path root() {
        return root;
    }

    /** Returns the names of the model directories (those with a {@code config.json}), sorted. */
    public List<String> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("config.json")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new ModelFormatException("cannot list model repository " + root + ": " + e.getMessage(), e);
        }
    }

    /** Opens (or returns the already open) model {@code name} of the repository. */
    public Model open(String name) {
        if (name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".") || name.isBlank()) {
            throw new ModelFormatException("invalid model name '" + name + "'");
        }
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException("no model '" + name + "' in " + root);
        }
        return openDirectory(dir);
    }

    /** Opens (or returns the already open) model in {@code directory}, which may lie outside the repository. */
    public synchronized Model openDirectory(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        OpenModel model = open.get(dir);
        if (model == null) {
            model = load(dir);
            open.put(dir, model);
        }
        return model;
    }

    /** Closes a model so a new copy of its files is read on the next open. */
    public synchronized void evict(Path directory) {
        OpenModel model = open.remove(directory.toAbsolutePath().normalize());
        if (model != null) {
            model.store.close();
        }
    }

    private OpenModel load(Path dir) {
        String name = dir.getFileName().toString();
        Config config = readConfig(dir, name);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byKey = Files.isRegularFile(dir.resolve(INDEX_FILE))
                    ? mapIndexed(dir, name, files) : mapAll(dir, name, files);
            return new OpenModel(name, dir, config, new SafetensorsParameterStore(name, byKey, files));
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private Config readConfig(Path dir, String name) {
        Path file = dir.resolve("config.json");
        try (Reader r = Files.newBufferedReader(file)) {
            Map<String, Object> values = gson.fromJson(r, new TypeToken<Map<String, Object>>() { }.getType());
            if (values == null) {
                throw new ModelFormatException("model '" + name + "': config.json is empty");
            }
            return new Config(values, "model '" + name + "' config.json");
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("model '" + name + "': no config.json in " + dir);
        } catch (IOException | JsonParseException e) {
            throw new ModelFormatException("model '" + name + "': config.json is not valid JSON: " + e.getMessage(), e);
        }
    }

    private Map<String, SafetensorsFile> mapAll(Path dir, String name, List<SafetensorsFile> files) {
        Map<String, SafetensorsFile> byKey = new LinkedHashMap<>();
        for (Path p : safetensorsFiles(dir, name)) {
            SafetensorsFile f = SafetensorsFile.open(p);
            files.add(f);
            for (String key : f.keys()) {
                if (byKey.putIfAbsent(key, f) != null) {
                    throw new ModelFormatException("model '" + name + "': tensor '" + key + "' appears in both "
                            + byKey.get(key).path().getFileName() + " and " + p.getFileName());
                }
            }
        }
        if (files.isEmpty()) {
            throw new ModelFormatException("model '" + name + "': no *.safetensors file in " + dir);
        }
        return byKey;
    }

    private Map<String, SafetensorsFile> mapIndexed(Path dir, String name, List<SafetensorsFile> files) {
        Map<String, Object> index;
        try (Reader r = Files.newBufferedReader(dir.resolve(INDEX_FILE))) {
            index = gson.fromJson(r, new TypeToken<Map<String, Object>>() { }.getType());
        } catch (IOException | JsonParseException e) {
            throw new ModelFormatException("model '" + name + "': " + INDEX_FILE + " is not valid JSON: " + e.getMessage(), e);
        }
        if (index == null || !(index.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new ModelFormatException("model '" + name + "': " + INDEX_FILE + " has no \"weight_map\" object");
        }
        Map<String, SafetensorsFile> byFile = new TreeMap<>();
        Map<String, SafetensorsFile> byKey = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : weightMap.entrySet()) {
            String key = String.valueOf(e.getKey());
            String fileName = String.valueOf(e.getValue());
            Path p = dir.resolve(fileName).normalize();
            if (!p.getParent().equals(dir.normalize()) || !Files.isRegularFile(p)) {
                throw new ModelFormatException("model '" + name + "': " + INDEX_FILE + " maps '" + key
                        + "' to missing file '" + fileName + "'");
            }
            SafetensorsFile f = byFile.computeIfAbsent(fileName, n -> {
                SafetensorsFile opened = SafetensorsFile.open(p);
                files.add(opened);
                return opened;
            });
            if (!f.contains(key)) {
                throw new ModelFormatException("model '" + name + "': " + INDEX_FILE + " maps '" + key + "' to "
                        + fileName + ", which has no such tensor");
            }
            byKey.put(key, f);
        }
        return byKey;
    }

    private static List<Path> safetensorsFiles(Path dir, String name) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    // the reference keeps the pre-upcycling checkpoint beside an upcycled one; it is not part of the model
                    .filter(p -> !p.getFileName().toString().equals("dense.safetensors"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new ModelFormatException("model '" + name + "': cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        for (OpenModel m : open.values()) {
            m.store.close();
        }
        open.clear();
    }

    private record OpenModel(String name, Path directory, Config config, SafetensorsParameterStore store) implements Model {
        @Override
        public io.moxie.api.ParameterStore parameters() {
            return store;
        }

        @Override
        public long parameterBytes() {
            return store.totalBytes();
        }

        @Override
        public void close() {
            // owned by the repository: closed by ModelRepository.close or evict
        }
    }
}

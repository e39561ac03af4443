package io.moxie.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Builds small OSGi bundles at test time from classes of the test class path. */
final class TestBundles {
    private TestBundles() {
    }

    /**
     * Writes a bundle holding one router factory class, declared as a Declarative Services component with the given
     * service ranking.
     */
    static Path routerBundle(Path dir, String symbolicName, Class<?> factory, int ranking) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", symbolicName);
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Import-Package", "io.moxie.api,ai.djl.ndarray");
        a.putValue("Service-Component", "OSGI-INF/component.xml");
        String classFile = factory.getName().replace('.', '/') + ".class";
        String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="%s" immediate="true">
                  <implementation class="%s"/>
                  <property name="service.ranking" type="Integer" value="%d"/>
                  <service><provide interface="io.moxie.api.RouterFactory"/></service>
                </scr:component>
                """.formatted(symbolicName, factory.getName(), ranking);
        Path jar = dir.resolve(symbolicName + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, mf);
             InputStream cls = factory.getClassLoader().getResourceAsStream(classFile)) {
            jos.putNextEntry(new JarEntry(classFile));
            cls.transferTo(jos);
            jos.closeEntry();
            jos.putNextEntry(new JarEntry("OSGI-INF/component.xml"));
            jos.write(xml.getBytes(StandardCharsets.UTF_8));
            jos.closeEntry();
        }
        return jar;
    }
}

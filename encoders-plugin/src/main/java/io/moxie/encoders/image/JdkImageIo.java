package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/** Access to the JDK's own ImageIO PNG and JPEG readers, and the mapping of their failures to input errors. */
final class JdkImageIo {
    private JdkImageIo() {
    }

    /**
     * A fresh reader of the JDK's plugin for {@code format}. A third-party plugin (TwelveMonkeys, say) registered in
     * the same JVM would decode differently, and the decoders here rely on the JDK plugins' raw-raster behaviour.
     */
    static ImageReader reader(String format) {
        ImageReader chosen = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format); it.hasNext(); ) {
            ImageReader r = it.next();
            if (chosen == null && r.getClass().getName().startsWith("com.sun.imageio.plugins.")) {
                chosen = r;
            } else {
                r.dispose();
            }
        }
        if (chosen == null) {
            throw new IllegalStateException("the JDK's ImageIO " + format + " reader is not available");
        }
        return chosen;
    }

    /** An in-memory stream: ImageIO's default may cache to a temporary file. */
    static ImageInputStream stream(byte[] data) {
        return new MemoryCacheImageInputStream(new ByteArrayInputStream(data));
    }

    /** What a reader's exception means for the caller: a truncated file, or a corrupt one. */
    static InvalidInputException failure(String format, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EOFException) {
                return withCause(new InvalidInputException("truncated image"), e);
            }
        }
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null) {
            detail += " (" + cause.getMessage() + ")";
        }
        return withCause(new InvalidInputException("corrupt " + format + " image: " + detail.replace('\n', ' ')), e);
    }

    private static InvalidInputException withCause(InvalidInputException ex, Exception cause) {
        ex.initCause(cause);
        return ex;
    }
}

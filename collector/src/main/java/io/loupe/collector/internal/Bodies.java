package io.loupe.collector.internal;

import io.loupe.model.InvalidInputException;
import io.loupe.model.ResourceExhaustedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Request body decoding shared by the HTTP receivers. */
public final class Bodies {
  private Bodies() {}

  /**
   * Gunzips {@code body}, refusing to produce more than {@code maxBytes}: a gzip bomb fails after reading at most
   * {@code maxBytes + 8 KiB}, never after inflating it all.
   */
  public static byte[] gunzip(byte[] body, int maxBytes) {
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body), 8192)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, Math.max(64, body.length * 4)));
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > maxBytes) {
          throw ResourceExhaustedException.tooLarge(
              "request body: more than " + maxBytes + " bytes after gzip decompression (limit " + maxBytes + ")");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (ZipException e) {
      throw new InvalidInputException("request body: invalid gzip data: " + e.getMessage());
    } catch (java.io.EOFException e) {
      throw new InvalidInputException("request body: truncated gzip data");
    } catch (IOException e) {
      throw new InvalidInputException("request body: unreadable gzip data: " + e.getMessage());
    }
  }
}

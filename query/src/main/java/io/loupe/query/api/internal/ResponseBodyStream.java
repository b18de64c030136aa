package io.loupe.query.api.internal;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponseWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An {@link OutputStream} that sends a response body in chunks through an Armeria {@link HttpResponseWriter}, so that a
 * large answer to a slow client holds two chunks in memory rather than the whole document: the one being filled and at
 * most one handed to the connection and not yet taken. Filling the next chunk overlaps with the connection writing
 * the previous one; waiting for each chunk to be taken before filling the next made every 32 KiB of a 3.4 MB answer
 * a round trip through the event loop. Runs on a blocking-task thread, never on an event loop.
 */
public final class ResponseBodyStream extends OutputStream {
  /** 32 KiB: large enough that the wait per chunk is noise, small enough to bound memory per slow client. */
  static final int CHUNK = 32 * 1024;

  private final HttpResponseWriter res;
  private final byte[] buf = new byte[CHUNK];
  private int n;
  private long written;
  private CompletableFuture<Void> inFlight; // the chunk handed over last, until the connection took it

  public ResponseBodyStream(HttpResponseWriter res) {
    this.res = res;
  }

  @Override
  public void write(int b) throws IOException {
    if (n == CHUNK) {
      send(true);
    }
    buf[n++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (n == CHUNK) {
        send(true);
      }
      int k = Math.min(len, CHUNK - n);
      System.arraycopy(b, off, buf, n, k);
      n += k;
      off += k;
      len -= k;
    }
  }

  /** Sends what is buffered and ends the response. */
  @Override
  public void close() throws IOException {
    send(false);
    res.close();
  }

  /** Bytes handed to the connection so far. */
  public long written() {
    return written;
  }

  /** Hands the buffered bytes to the connection once the previous chunk was taken; {@code more}: not the last. */
  private void send(boolean more) throws IOException {
    if (n == 0) {
      return;
    }
    if (inFlight != null) {
      CompletableFuture<Void> previous = inFlight;
      inFlight = null;
      awaitConsumed(previous);
    }
    if (!res.tryWrite(HttpData.copyOf(buf, 0, n))) {
      throw new ClientGoneException();
    }
    written += n;
    n = 0;
    if (more) {
      inFlight = res.whenConsumed();
    }
  }

  private void awaitConsumed(CompletableFuture<Void> consumed) throws IOException {
    while (true) {
      try {
        consumed.get(1, TimeUnit.SECONDS);
        return;
      } catch (TimeoutException e) {
        if (!res.isOpen()) {
          throw new ClientGoneException();
        }
      } catch (ExecutionException e) {
        throw new ClientGoneException();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClientGoneException();
      }
    }
  }

  /** The client went away while its answer was being written. */
  public static final class ClientGoneException extends IOException {
    private static final long serialVersionUID = 1L;

    public ClientGoneException() {
      super("client closed the connection", null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // an expected condition: no stack trace
    }
  }
}

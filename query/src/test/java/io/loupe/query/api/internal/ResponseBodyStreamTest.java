package io.loupe.query.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

class ResponseBodyStreamTest {
  private static final int CHUNK = ResponseBodyStream.CHUNK;

  /** A client that takes one object each time the test asks. */
  private static final class SlowClient implements Subscriber<HttpObject> {
    final CompletableFuture<Subscription> subscription = new CompletableFuture<>();
    final AtomicLong bodyBytes = new AtomicLong();
    final CompletableFuture<Void> done = new CompletableFuture<>();

    @Override
    public void onSubscribe(Subscription s) {
      subscription.complete(s);
    }

    @Override
    public void onNext(HttpObject o) {
      if (o instanceof HttpData d) {
        bodyBytes.addAndGet(d.length());
      }
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      done.complete(null);
    }
  }

  private static void awaitWritten(ResponseBodyStream out, long bytes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (out.written() < bytes && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(out.written()).isEqualTo(bytes);
  }

  @Test
  void fillsTheNextChunkWhileOneIsInFlightButNeverRunsFurtherAhead() throws Exception {
    HttpResponseWriter res = HttpResponse.streaming();
    res.write(ResponseHeaders.of(HttpStatus.OK));
    ResponseBodyStream out = new ResponseBodyStream(res);
    SlowClient client = new SlowClient();
    res.subscribe(client);
    Subscription s = client.subscription.get(10, TimeUnit.SECONDS);
    s.request(1); // the headers
    AtomicLong filled = new AtomicLong(); // chunks the writer has put into the stream
    CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < 5; i++) {
          out.write(new byte[CHUNK]);
          filled.incrementAndGet();
        }
        out.write(new byte[10]);
        out.close();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    // the first chunk is handed over at once, the second filled, then the writer waits for the first to be taken
    awaitWritten(out, CHUNK);
    Thread.sleep(200);
    assertThat(out.written()).isEqualTo(CHUNK);
    assertThat(filled.get()).isEqualTo(2);
    for (int taken = 1; taken <= 4; taken++) {
      s.request(1);
      awaitWritten(out, (long) (taken + 1) * CHUNK);
      Thread.sleep(50);
      assertThat(out.written()).as("chunks in flight after %d taken", taken).isEqualTo((long) (taken + 1) * CHUNK);
      assertThat(client.bodyBytes.get()).isEqualTo((long) taken * CHUNK);
      assertThat(filled.get()).isEqualTo(Math.min(5, taken + 2));
    }
    s.request(Long.MAX_VALUE);
    writing.get(10, TimeUnit.SECONDS);
    client.done.get(10, TimeUnit.SECONDS);
    assertThat(client.bodyBytes.get()).isEqualTo(5L * CHUNK + 10);
    assertThat(out.written()).isEqualTo(5L * CHUNK + 10);
  }

  @Test
  void aClientThatLeftStopsTheWriter() throws Exception {
    HttpResponseWriter res = HttpResponse.streaming();
    res.write(ResponseHeaders.of(HttpStatus.OK));
    ResponseBodyStream out = new ResponseBodyStream(res);
    SlowClient client = new SlowClient();
    res.subscribe(client);
    client.subscription.get(10, TimeUnit.SECONDS).request(1);
    CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
      try {
        out.write(new byte[50 * CHUNK]);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    awaitWritten(out, CHUNK);
    client.subscription.get().cancel();
    assertThat(writing).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause().isInstanceOf(java.io.UncheckedIOException.class)
        .havingCause().isInstanceOf(ResponseBodyStream.ClientGoneException.class);
  }
}

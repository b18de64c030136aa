package io.loupe.server.internal;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import java.util.function.BooleanSupplier;

/** {@code /-/healthy} (the process serves HTTP) and {@code /-/ready} (stores open, WAL replayed), as Prometheus has. */
public final class Health {
  private Health() {}

  public static HttpService healthy() {
    return (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "Loupe is Healthy.\n");
  }

  public static HttpService ready(BooleanSupplier ready) {
    return (ctx, req) -> ready.getAsBoolean()
        ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "Loupe is Ready.\n")
        : HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, MediaType.PLAIN_TEXT_UTF_8,
            "Loupe is not ready: replaying the write-ahead log.\n");
  }
}

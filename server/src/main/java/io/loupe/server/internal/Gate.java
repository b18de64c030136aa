package io.loupe.server.internal;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;

/**
 * A service that answers 503 with {@code Retry-After} until the stores behind it are open (the WAL replayed), then
 * delegates. Lets the HTTP port come up at once for {@code /-/healthy} and {@code /-/ready}.
 */
public final class Gate implements HttpService {
  private final String what;
  private volatile HttpService delegate;

  public Gate(String what) {
    this.what = what;
  }

  public void open(HttpService service) {
    delegate = service;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    HttpService d = delegate;
    if (d != null) {
      return d.serve(ctx, req);
    }
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
        .contentType(MediaType.PLAIN_TEXT_UTF_8).add(HttpHeaderNames.RETRY_AFTER, "5").build(),
        HttpData.ofUtf8(what + " is not ready: the node is still replaying its write-ahead log\n"));
  }
}

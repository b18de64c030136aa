package io.loupe.query.api.internal;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameters of one API call: the URL's query string and, for a POST with {@code
 * application/x-www-form-urlencoded}, the body's. As Go's {@code Request.FormValue}, a body value wins over a URL value
 * of the same name, and repeated parameters ({@code match[]}) collect both, body first.
 */
public final class Params {
  private final QueryParams body;
  private final QueryParams url;

  private Params(QueryParams body, QueryParams url) {
    this.body = body;
    this.url = url;
  }

  public static Params of(AggregatedHttpRequest req) {
    String path = req.path();
    int q = path.indexOf('?');
    QueryParams url = q < 0 ? QueryParams.of() : QueryParams.fromQueryString(path.substring(q + 1));
    QueryParams body = QueryParams.of();
    MediaType ct = req.contentType();
    if (req.method() == HttpMethod.POST && ct != null && ct.is(MediaType.FORM_DATA)) {
      body = QueryParams.fromQueryString(req.contentUtf8());
    }
    return new Params(body, url);
  }

  /** The first value of {@code name}, or {@code ""} when absent (Go's {@code FormValue}). */
  public String get(String name) {
    String v = body.get(name);
    if (v == null) {
      v = url.get(name);
    }
    return v == null ? "" : v;
  }

  /** Every value of {@code name}, body first. */
  public List<String> getAll(String name) {
    List<String> out = new ArrayList<>(body.getAll(name));
    out.addAll(url.getAll(name));
    return out;
  }
}

package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

/**
 * One request body ready to send, encoded before the clock starts.
 *
 * @param body the exact bytes to put on the wire (compressed and, for gRPC, framed)
 * @param samples what the request carries in the unit the run reports: Prometheus samples (a histogram point counts
 *     one per bucket plus sum and count) or spans
 * @param points OTLP data points (equal to samples for remote write and traces)
 * @param notBeforeMillis wall-clock time before which the request must not be sent (live mode: data is sent when its
 *     timestamps come due), or 0 to send as fast as possible
 * @param stream requests of one stream (the same series, or the same resources) are sent in order by one worker, as
 *     a Prometheus shard or an SDK exporter sends them: never two at once, so a series never overtakes itself
 */
public record Prepared(byte[] body, int samples, int points, long notBeforeMillis, int stream) {
  public Prepared(byte[] body, int samples, int points) {
    this(body, samples, points, 0, 0);
  }

  public Prepared(byte[] body, int samples, int points, long notBeforeMillis) {
    this(body, samples, points, notBeforeMillis, 0);
  }

  public Prepared {
    requireNonNull(body, "body");
    if (samples < 0 || points < 0) {
      throw new IllegalArgumentException("samples: " + samples + ", points: " + points + " (expected: >= 0)");
    }
  }
}

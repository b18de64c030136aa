package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.util.EnumMap;
import java.util.Map;

/**
 * What a commit kept and what it refused, per reason, with the first few refusal messages (each naming the series and
 * timestamp) for error texts such as OTLP {@code partial_success.error_message}.
 */
public record AppendResult(long accepted, Map<RejectReason, Long> rejected, String firstErrors) {
  public static final AppendResult EMPTY = new AppendResult(0, Map.of(), "");

  public AppendResult {
    requireNonNull(rejected, "rejected");
    requireNonNull(firstErrors, "firstErrors");
    rejected = Map.copyOf(rejected);
  }

  public long rejectedCount() {
    long n = 0;
    for (long v : rejected.values()) {
      n += v;
    }
    return n;
  }

  /** Accumulates accepted and rejected points. Not thread-safe. */
  public static final class Builder {
    private static final int MAX_MESSAGES = 3;
    private long accepted;
    private final EnumMap<RejectReason, Long> rejected = new EnumMap<>(RejectReason.class);
    private final StringBuilder messages = new StringBuilder();
    private int messageCount;

    public Builder accept(long n) {
      accepted += n;
      return this;
    }

    public Builder reject(RejectReason reason, String detail) {
      return reject(reason, detail, 1);
    }

    /** Records {@code count} points refused for one reason (a whole series, say) with one message. */
    public Builder reject(RejectReason reason, String detail, long count) {
      if (count <= 0) {
        return this;
      }
      rejected.merge(reason, count, Long::sum);
      if (messageCount < MAX_MESSAGES) {
        if (messageCount > 0) {
          messages.append("; ");
        }
        messages.append(reason.description()).append(": ").append(detail);
      }
      messageCount++;
      return this;
    }

    public Builder merge(AppendResult r) {
      accepted += r.accepted();
      r.rejected().forEach((k, v) -> rejected.merge(k, v, Long::sum));
      if (!r.firstErrors().isEmpty() && messageCount < MAX_MESSAGES) {
        if (messageCount > 0) {
          messages.append("; ");
        }
        // The merged result's own "(and N more)" is dropped: build() counts every refusal once.
        messages.append(r.firstErrors().replaceFirst(" \\(and \\d+ more\\)$", ""));
      }
      messageCount += (int) r.rejectedCount();
      return this;
    }

    public long rejectedCount() {
      long n = 0;
      for (long v : rejected.values()) {
        n += v;
      }
      return n;
    }

    public AppendResult build() {
      String text = messages.toString();
      if (messageCount > MAX_MESSAGES) {
        text += " (and " + (messageCount - MAX_MESSAGES) + " more)";
      }
      return new AppendResult(accepted, rejected, text);
    }
  }
}

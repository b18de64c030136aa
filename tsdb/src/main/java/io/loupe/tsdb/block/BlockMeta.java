package io.loupe.tsdb.block;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Tenant;

/**
 * What a block holds: one tenant's samples with timestamps in {@code [minT, maxT)}.
 *
 * @param minT inclusive start of the block's range (ms)
 * @param maxT exclusive end of the block's range (ms)
 */
public record BlockMeta(Tenant tenant, long minT, long maxT, long numSeries, long numChunks, long numSamples) {
  public BlockMeta {
    requireNonNull(tenant, "tenant");
    if (maxT <= minT) {
      throw new IllegalArgumentException("block range: maxT " + maxT + " <= minT " + minT + " (expected: maxT > minT)");
    }
  }
}

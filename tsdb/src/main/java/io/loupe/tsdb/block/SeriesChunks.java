package io.loupe.tsdb.block;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Labels;
import java.util.List;

/**
 * One series' chunks (encoded bytes of any encoding, in time order, not overlapping), handed from the head or from
 * source blocks to a block writer, which re-chunks and re-encodes them.
 */
public record SeriesChunks(Labels labels, List<byte[]> chunks) {
  public SeriesChunks {
    requireNonNull(labels, "labels");
    chunks = List.copyOf(chunks);
  }
}

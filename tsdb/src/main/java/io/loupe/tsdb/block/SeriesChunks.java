package io.loupe.tsdb.block;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Labels;
import io.loupe.tsdb.chunkenc.XorChunk;
import java.util.List;

/** One series' frozen chunks, in time order, handed from the head to a block writer. */
public record SeriesChunks(Labels labels, List<XorChunk> chunks) {
  public SeriesChunks {
    requireNonNull(labels, "labels");
    chunks = List.copyOf(chunks);
  }
}

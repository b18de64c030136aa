package io.loupe.tsdb.head;

import io.loupe.model.Labels;
import io.loupe.tsdb.block.Block;
import io.loupe.tsdb.block.SeriesChunks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The series of several blocks with disjoint time ranges, given in time order, merged by labels (each block's series
 * are sorted by labels): one {@link SeriesChunks} per distinct labels, its chunks concatenated in time order (the block
 * writer then re-chunks them, so small chunks at the sources' edges merge into full ones). Reads
 * one series' chunks at a time, so memory stays at one series per block. I/O errors come out as
 * {@link UncheckedIOException}, which the block writer lets through after deleting its temporary directory.
 */
final class BlockMergeIterator implements Iterator<SeriesChunks> {
  private final List<Block> blocks;
  private final int[] pos;

  BlockMergeIterator(List<Block> blocks) {
    this.blocks = List.copyOf(blocks);
    this.pos = new int[blocks.size()];
  }

  @Override
  public boolean hasNext() {
    for (int b = 0; b < pos.length; b++) {
      if (pos[b] < blocks.get(b).numSeries()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public SeriesChunks next() {
    // A linear scan over the heads of the blocks: compaction merges 3 blocks at a time, so a heap would not pay.
    Labels min = null;
    for (int b = 0; b < pos.length; b++) {
      if (pos[b] < blocks.get(b).numSeries()) {
        Labels l = blocks.get(b).labels(pos[b]);
        if (min == null || l.compareTo(min) < 0) {
          min = l;
        }
      }
    }
    if (min == null) {
      throw new NoSuchElementException();
    }
    List<byte[]> chunks = new ArrayList<>();
    for (int b = 0; b < pos.length; b++) {
      Block block = blocks.get(b);
      if (pos[b] < block.numSeries() && block.labels(pos[b]).equals(min)) {
        try {
          chunks.addAll(block.chunkBytes(pos[b]));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        pos[b]++;
      }
    }
    return new SeriesChunks(min, chunks);
  }
}

package io.loupe.tsdb.block;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.manual.BlockFixtureMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The frozen version-2 block (src/test/resources/testdata/block-v2) still reads, bit for bit. */
class BlockFixtureIT {
  @TempDir
  Path dir;

  @Test
  void version2BlockStillReads() throws Exception {
    Path src;
    try (Stream<Path> s = Files.list(Path.of("src/test/resources/testdata/block-v2"))) {
      src = s.filter(Files::isDirectory).findFirst().orElseThrow();
    }
    Path copy = dir.resolve(src.getFileName().toString());
    Files.createDirectories(copy);
    for (String f : new String[] {"chunks", "index", "meta"}) {
      Files.copy(src.resolve(f), copy.resolve(f));
    }
    List<Object[]> want = BlockFixtureMain.series();
    try (Block b = Block.open(copy)) {
      assertThat(b.meta().tenant()).isEqualTo(BlockFixtureMain.TENANT);
      assertThat(b.meta().minT()).isEqualTo(BlockFixtureMain.MIN_T);
      assertThat(b.meta().numSeries()).isEqualTo(want.size());
      assertThat(b.meta().numChunks()).isEqualTo(2L * want.size());
      List<Block.SelectedSeries> got = b.select(List.of(Matcher.regex("__name__", ".+")), Long.MIN_VALUE,
          Long.MAX_VALUE, true);
      assertThat(got).hasSize(want.size());
      List<Byte> encodings = new ArrayList<>();
      for (int i = 0; i < want.size(); i++) {
        Labels labels = (Labels) want.get(i)[0];
        long[] ts = (long[]) want.get(i)[1];
        long[] vb = (long[]) want.get(i)[2];
        assertThat(got.get(i).labels().toString()).isEqualTo(labels.toString());
        int k = 0;
        for (byte[] c : got.get(i).chunks()) {
          encodings.add(c[0]);
          ChunkIterator it = new ChunkIterator().reset(c);
          while (it.next()) {
            assertThat(it.timestamp()).as("%s sample %d", labels, k).isEqualTo(ts[k]);
            assertThat(it.valueBits()).as("%s sample %d", labels, k).isEqualTo(vb[k]);
            k++;
          }
        }
        assertThat(k).isEqualTo(ts.length);
      }
      // decimal chunks (with residuals for drifting_total), XOR for noise
      assertThat(encodings).containsExactly((byte) 2, (byte) 2, (byte) 2, (byte) 2, (byte) 2, (byte) 2,
          (byte) 1, (byte) 1, (byte) 2, (byte) 2);
    }
  }
}

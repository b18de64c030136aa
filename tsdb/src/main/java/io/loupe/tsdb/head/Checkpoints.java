package io.loupe.tsdb.head;

import io.loupe.tsdb.wlog.Segments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checkpoint directories inside a shard's WAL directory: {@code checkpoint.NNNNNNNN} holds, in ordinary WAL segments,
 * the head state as of the end of segment N; replay reads it, then segments after N. A {@code .tmp} suffix marks one
 * being written (deleted at open).
 */
final class Checkpoints {
  static final String PREFIX = "checkpoint.";

  private Checkpoints() {}

  static Path dir(Path walDir, int index) {
    return walDir.resolve(PREFIX + Segments.name(index));
  }

  /** The newest complete checkpoint's index, or -1; deletes unfinished and superseded ones. */
  static int latest(Path walDir) throws IOException {
    int latest = -1;
    List<Path> all;
    try (Stream<Path> s = Files.list(walDir)) {
      all = s.filter(p -> p.getFileName().toString().startsWith(PREFIX)).toList();
    }
    for (Path p : all) {
      String n = p.getFileName().toString();
      if (n.endsWith(".tmp")) {
        deleteTree(p);
        continue;
      }
      latest = Math.max(latest, Integer.parseInt(n.substring(PREFIX.length())));
    }
    for (Path p : all) {
      String n = p.getFileName().toString();
      if (!n.endsWith(".tmp") && Integer.parseInt(n.substring(PREFIX.length())) < latest) {
        deleteTree(p);
      }
    }
    if (latest >= 0) {
      // segments the checkpoint covers (left over if a crash came between checkpoint and cleanup)
      for (int seg : Segments.list(walDir)) {
        if (seg <= latest) {
          Files.delete(walDir.resolve(Segments.name(seg)));
        }
      }
    }
    return latest;
  }

  static void deleteTree(Path d) throws IOException {
    if (!Files.exists(d)) {
      return;
    }
    try (Stream<Path> s = Files.walk(d)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

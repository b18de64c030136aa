package io.loupe.tsdb.wlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Segment file names: eight decimal digits, ascending ({@code 00000000}, {@code 00000001}, ...). */
public final class Segments {
  private Segments() {}

  public static String name(int index) {
    return String.format("%08d", index);
  }

  /** The segment indexes present in {@code dir}, ascending; other files are ignored. */
  public static List<Integer> list(Path dir) throws IOException {
    List<Integer> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> {
        String n = p.getFileName().toString();
        if (n.length() == 8 && n.chars().allMatch(Character::isDigit)) {
          out.add(Integer.parseInt(n));
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    out.sort(null);
    return out;
  }
}

package io.loupe.collector.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.InvalidInputException;
import io.loupe.model.ResourceExhaustedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class BodiesTest {
  private static byte[] gzip(byte[] data, int times) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      for (int i = 0; i < times; i++) {
        gz.write(data);
      }
    }
    return out.toByteArray();
  }

  @Test
  void roundTrip() throws IOException {
    assertThat(Bodies.gunzip(gzip("hello".getBytes(), 3), 100)).isEqualTo("hellohellohello".getBytes());
  }

  @Test
  void bombStopsAtTheLimit() throws IOException {
    byte[] bomb = gzip(new byte[1 << 20], 32);
    assertThatThrownBy(() -> Bodies.gunzip(bomb, 1 << 20))
        .isInstanceOf(ResourceExhaustedException.class)
        .hasMessageContaining("1048576")
        .satisfies(e -> assertThat(((ResourceExhaustedException) e).tooLarge()).isTrue());
  }

  @Test
  void garbageIsInvalidInput() {
    assertThatThrownBy(() -> Bodies.gunzip(new byte[] {1, 2, 3, 4}, 100))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("gzip");
  }
}

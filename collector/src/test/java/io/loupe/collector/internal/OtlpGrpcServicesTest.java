package io.loupe.collector.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** How the gRPC trace receiver reads a request message's bytes from the stream Armeria hands it. */
class OtlpGrpcServicesTest {
  private final byte[] message = new byte[150_000];

  OtlpGrpcServicesTest() {
    new Random(5).nextBytes(message);
  }

  @Test
  void aStreamThatKnowsItsLengthIsReadIntoOneExactArray() throws IOException {
    // what Armeria passes for an uncompressed message: a ByteBufInputStream, available() = the bytes left
    InputStream in = new ByteBufInputStream(Unpooled.wrappedBuffer(message), true);
    assertThat(in.available()).isEqualTo(message.length);
    assertThat(OtlpGrpcServices.readMessage(in)).isEqualTo(message);
    assertThat(OtlpGrpcServices.readMessage(new ByteBufInputStream(Unpooled.EMPTY_BUFFER))).isEmpty();
  }

  @Test
  void aDecompressingStreamIsReadToItsEnd() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(message);
    }
    InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz.toByteArray()));
    assertThat(in.available()).isEqualTo(1); // what gzip says until its end
    assertThat(OtlpGrpcServices.readMessage(in)).isEqualTo(message);
  }

  @Test
  void aStreamWhoseAvailableIsWrongIsStillReadExactly() throws IOException {
    assertThat(OtlpGrpcServices.readMessage(saying(1_000, message))).isEqualTo(message); // too low
    assertThat(OtlpGrpcServices.readMessage(saying(message.length + 7, message))).isEqualTo(message); // too high
    assertThat(OtlpGrpcServices.readMessage(saying(0, message))).isEqualTo(message);
  }

  /** A stream of {@code bytes} whose {@code available()} says {@code n}. */
  private static InputStream saying(int n, byte[] bytes) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public int available() {
        return n;
      }
    };
  }
}

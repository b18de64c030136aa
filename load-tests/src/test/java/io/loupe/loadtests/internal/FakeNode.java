package io.loupe.loadtests.internal;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Stands in for the node's jar in {@link NodeProcessIT}: writes a file into --data-dir, logs the ready line with fixed
 * ports and waits to be stopped. With {@code -Dfake.mode=exit} it exits at once without being ready.
 */
public final class FakeNode {
  private FakeNode() {}

  public static void main(String[] args) throws Exception {
    if ("exit".equals(System.getProperty("fake.mode"))) {
      System.out.println("failing on purpose");
      System.exit(3);
    }
    Path data = null;
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--data-dir")) {
        data = Path.of(args[i + 1]);
      }
    }
    Files.createDirectories(data);
    Files.writeString(data.resolve("wal-000001"), "x".repeat(1000));
    System.out.println("12:00:00.000 INFO  io.loupe.server.LoupeNode - Loupe ready: http=1111 otlp-grpc=2222"
        + " otlp-http=3333");
    System.out.flush();
    Thread.sleep(120_000);
  }
}

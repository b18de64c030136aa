package io.loupe.tsdb.wlog;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the files the WAL and the block writer write. The default is {@link FileChannel#open}; tests pass one whose
 * channels fail with "No space left on device" to exercise disk-full handling without a root-only small file system.
 */
@FunctionalInterface
public interface ChannelOpener {
  ChannelOpener DEFAULT = FileChannel::open;

  FileChannel open(Path file, OpenOption... options) throws IOException;
}

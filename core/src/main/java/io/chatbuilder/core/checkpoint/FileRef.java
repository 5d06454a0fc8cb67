package io.chatbuilder.core.checkpoint;

import java.util.Objects;

/** A file of a revision: the content-addressed id of its bytes (store-defined) and its size. */
public record FileRef(String blobId, long size) {
  public FileRef {
    Objects.requireNonNull(blobId, "blobId == null");
    if (size < 0) {
      throw new IllegalArgumentException("size < 0");
    }
  }
}

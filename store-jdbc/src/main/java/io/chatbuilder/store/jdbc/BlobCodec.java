package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.StoreException;
import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** How blob bytes sit in the database: raw, or deflated when that saves at least a tenth. */
final class BlobCodec {
  static final int RAW = 0;
  static final int DEFLATE = 1;
  private static final int MIN_SIZE_TO_COMPRESS = 128;

  private BlobCodec() {}

  /** A blob ready to insert. */
  record Encoded(String id, long size, int encoding, byte[] data) {}

  static Encoded encode(String id, byte[] content) {
    if (content.length >= MIN_SIZE_TO_COMPRESS) {
      byte[] deflated = deflate(content);
      if (deflated.length <= content.length - content.length / 10) {
        return new Encoded(id, content.length, DEFLATE, deflated);
      }
    }
    return new Encoded(id, content.length, RAW, content.clone());
  }

  static byte[] decode(String id, long size, int encoding, byte[] data) {
    return switch (encoding) {
      case RAW -> data;
      case DEFLATE -> inflate(id, size, data);
      default -> throw new StoreException("blob " + id + " has unknown encoding " + encoding, null);
    };
  }

  private static byte[] deflate(byte[] content) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    try {
      deflater.setInput(content);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, content.length / 3));
      byte[] buffer = new byte[16 * 1024];
      while (!deflater.finished()) {
        int n = deflater.deflate(buffer);
        out.write(buffer, 0, n);
        if (out.size() >= content.length) {
          break; // no gain; stop early
        }
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  private static byte[] inflate(String id, long size, byte[] data) {
    if (size > Integer.MAX_VALUE - 16) {
      throw new StoreException("blob " + id + " is too large to read into memory (" + size + " bytes)", null);
    }
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(data);
      byte[] out = new byte[(int) size];
      int n = 0;
      while (n < out.length && !inflater.finished()) {
        int got = inflater.inflate(out, n, out.length - n);
        if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        n += got;
      }
      if (n == out.length && !inflater.finished()) {
        // The end-of-stream marker may still be unread when the output filled up exactly.
        if (inflater.inflate(new byte[1]) != 0) {
          n++;
        }
      }
      if (n != out.length || !inflater.finished()) {
        throw new StoreException("blob " + id + " is corrupt: inflated to " + n + " bytes, expected " + size, null);
      }
      return out;
    } catch (DataFormatException e) {
      throw new StoreException("blob " + id + " is corrupt: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }
}

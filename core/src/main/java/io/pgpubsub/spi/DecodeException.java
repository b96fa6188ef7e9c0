package io.pgpubsub.spi;

/** A stored payload that cannot become the listener's type; retrying will not help. */
public class DecodeException extends Exception {

  private static final long serialVersionUID = 1L;

  public DecodeException(String message, Throwable cause) {
    super(message, cause);
  }

  public DecodeException(String message) {
    super(message);
  }
}

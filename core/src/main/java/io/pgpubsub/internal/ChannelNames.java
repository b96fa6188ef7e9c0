package io.pgpubsub.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Channel name rules shared by the runtime and {@link io.pgpubsub.Notifier}: 1..63 bytes of
 * {@code [A-Za-z0-9_.-]}. Names are validated before they get anywhere near SQL, and LISTEN still quotes them.
 */
public final class ChannelNames {

  /** First key of the "idle" wake-up advisory lock, 'pgs3' (see {@code Doorbell}). */
  public static final int IDLE_LOCK = 0x70677333;
  /** First key of the "check" wake-up advisory lock, 'pgs4' (see {@code Doorbell}). */
  public static final int CHECK_LOCK = 0x70677334;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.\\-]{1,63}");

  private ChannelNames() {}

  /** Returns {@code name} or throws an {@link IllegalArgumentException} that names it and says why. */
  public static String validate(String name) {
    if (name == null) {
      throw new IllegalArgumentException("channel name must not be null");
    }
    if (!VALID.matcher(name).matches()) {
      int bytes = name.getBytes(StandardCharsets.UTF_8).length;
      String why =
          bytes == 0
              ? "it is empty"
              : bytes > 63
                  ? "it is " + bytes + " bytes long (PostgreSQL identifiers have at most 63)"
                  : "only letters A-Z a-z, digits, '_', '.' and '-' are allowed";
      throw new IllegalArgumentException("invalid channel name '" + printable(name) + "': " + why);
    }
    return name;
  }

  /** {@code "name"}: a quoted SQL identifier (the name is validated first, so it holds no quote). */
  public static String quoted(String name) {
    return '"' + validate(name) + '"';
  }

  /**
   * The NOTIFY/LISTEN name of {@code channel} in the installation whose notification table lives in {@code
   * schema}: the channel name itself in the schema {@code public} (the default, and what earlier versions
   * used), otherwise {@code schema:channel}, with the raw schema name (not its quoted SQL form). Channel names
   * hold no {@code ':'} (the last {@code ':'} ends the schema, whatever the schema holds), so names of different
   * schemas never meet. A name longer than PostgreSQL's 63 bytes keeps its first 54 bytes and ends in {@code '#'} and 8
   * hex digits of the SHA-256 of the whole name (no channel name holds a {@code '#'}, so a shortened name never
   * equals a whole one), which keeps it stable across builds.
   *
   * <p>The annotation processor writes the same names into the generated triggers (its {@code SqlNames}); a
   * test compares the two rules.
   */
  public static String notifyName(String schema, String channel) {
    validate(channel);
    return shorten(PUBLIC.equals(schema) ? channel : schema + ':' + channel);
  }

  /**
   * {@code whole} when it fits PostgreSQL's 63 bytes, otherwise its first 54 bytes, {@code '#'} and 8 hex digits
   * of its SHA-256 (see {@link #notifyName}).
   */
  public static String shorten(String whole) {
    byte[] bytes = whole.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_BYTES) {
      return whole;
    }
    String suffix = "#" + HexFormat.of().formatHex(sha256(whole), 0, 4);
    int budget = MAX_BYTES - suffix.length();
    StringBuilder prefix = new StringBuilder();
    int used = 0;
    for (int i = 0; i < whole.length(); ) {
      int cp = whole.codePointAt(i);
      int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (used + len > budget) {
        break;
      }
      prefix.appendCodePoint(cp);
      used += len;
      i += Character.charCount(cp);
    }
    return prefix + suffix;
  }

  /**
   * The second key of the wake-up advisory locks of {@code channel} in {@code schema} (see {@code Doorbell}):
   * the first 4 bytes of the SHA-256 of {@code schema:channel}, big-endian. Stable across builds and PostgreSQL
   * versions (unlike {@code hashtext}), and written into the generated triggers as a literal. Two installations
   * whose keys collide only send more NOTIFYs than needed, never fewer.
   */
  public static int lockKey(String schema, String channel) {
    byte[] d = sha256(schema + ':' + validate(channel));
    return ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
  }

  private static final String PUBLIC = "public";
  private static final int MAX_BYTES = 63;

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  private static String printable(String name) {
    StringBuilder b = new StringBuilder(Math.min(name.length(), 80));
    for (int i = 0; i < name.length() && b.length() < 80; i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (b.length() >= 80) {
      b.append("...");
    }
    return b.toString();
  }
}

package io.pgpubsub.dashboard;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Double-submit CSRF tokens: the page gets a token in a {@code SameSite=Strict} HttpOnly cookie and the same
 * token in the page itself; a write must send it back in the {@code X-CSRF-Token} header, and it must equal
 * the cookie and carry this dashboard's signature (a token another site sets cannot pass). A cross-site form
 * can set neither the header nor the cookie.
 */
final class Csrf {

  static final String COOKIE = "pgpubsub_csrf";

  private final SecureRandom random = new SecureRandom();
  private final byte[] key = new byte[32];

  Csrf() {
    random.nextBytes(key);
  }

  /** The valid token in {@code cookieHeader}, or a new one. */
  String tokenFor(String cookieHeader) {
    String existing = cookie(cookieHeader);
    if (existing != null && signed(existing)) {
      return existing;
    }
    byte[] nonce = new byte[18];
    random.nextBytes(nonce);
    String n = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
    return n + "." + sign(n);
  }

  boolean valid(String cookieHeader, String headerToken) {
    String c = cookie(cookieHeader);
    return c != null
        && headerToken != null
        && MessageDigest.isEqual(c.getBytes(StandardCharsets.US_ASCII), headerToken.getBytes(StandardCharsets.US_ASCII))
        && signed(c);
  }

  private boolean signed(String token) {
    int dot = token.indexOf('.');
    return dot > 0
        && MessageDigest.isEqual(
            sign(token.substring(0, dot)).getBytes(StandardCharsets.US_ASCII),
            token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII));
  }

  private String sign(String nonce) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(nonce.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static String cookie(String header) {
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      String p = part.trim();
      if (p.startsWith(COOKIE + "=")) {
        return p.substring(COOKIE.length() + 1);
      }
    }
    return null;
  }
}

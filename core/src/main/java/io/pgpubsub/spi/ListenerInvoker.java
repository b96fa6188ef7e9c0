package io.pgpubsub.spi;

/** Generated code that calls one listener method directly: no reflection on the hot path. */
@FunctionalInterface
public interface ListenerInvoker {

  /**
   * @param target the listener instance, or null for a static method
   * @param invocation what the method's parameters are taken from
   */
  void invoke(Object target, Invocation invocation) throws Exception;
}

package io.pgpubsub.spi;

/**
 * One listener method.
 *
 * @param id stable, human-readable id: {@code com.example.MediaListeners#onSave(Media,Media)}
 * @param kind which operations it runs for
 * @param declaringClass the class that declares the method
 * @param staticMethod true when no instance is needed ({@code target} is then null)
 * @param invoker generated code that calls the method directly
 */
public record ListenerDefinition(
    String id, ListenerKind kind, Class<?> declaringClass, boolean staticMethod, ListenerInvoker invoker) {}

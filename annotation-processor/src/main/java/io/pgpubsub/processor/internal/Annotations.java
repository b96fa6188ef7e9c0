package io.pgpubsub.processor.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeMirror;

/** Reads annotations by qualified name; only explicitly written values, callers supply the defaults. */
final class Annotations {

  private Annotations() {}

  static Optional<AnnotationMirror> find(Element element, String qualifiedName) {
    for (AnnotationMirror m : element.getAnnotationMirrors()) {
      TypeElement type = (TypeElement) m.getAnnotationType().asElement();
      if (type.getQualifiedName().contentEquals(qualifiedName)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  static boolean has(Element element, String qualifiedName) {
    return find(element, qualifiedName).isPresent();
  }

  static Optional<AnnotationValue> value(AnnotationMirror mirror, String name) {
    for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e :
        mirror.getElementValues().entrySet()) {
      if (e.getKey().getSimpleName().contentEquals(name)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  static String string(AnnotationMirror mirror, String name, String defaultValue) {
    return value(mirror, name).map(v -> String.valueOf(v.getValue())).orElse(defaultValue);
  }

  static boolean bool(AnnotationMirror mirror, String name, boolean defaultValue) {
    return value(mirror, name).map(v -> (Boolean) v.getValue()).orElse(defaultValue);
  }

  /** Simple name of an enum constant value, or {@code defaultValue}. */
  static String enumConstant(AnnotationMirror mirror, String name, String defaultValue) {
    return value(mirror, name)
        .map(v -> ((VariableElement) v.getValue()).getSimpleName().toString())
        .orElse(defaultValue);
  }

  /** The elements of an array value (a single value written without braces counts as one). */
  static List<AnnotationValue> list(AnnotationMirror mirror, String name) {
    Optional<AnnotationValue> v = value(mirror, name);
    if (v.isEmpty()) {
      return List.of();
    }
    Object raw = v.get().getValue();
    if (raw instanceof List<?> items) {
      List<AnnotationValue> out = new ArrayList<>();
      for (Object item : items) {
        out.add((AnnotationValue) item);
      }
      return out;
    }
    return List.of(v.get());
  }

  static Optional<AnnotationMirror> annotation(AnnotationMirror mirror, String name) {
    return value(mirror, name).map(v -> (AnnotationMirror) v.getValue());
  }

  /** A {@code Class} value (e.g. targetEntity), or empty when absent or {@code void.class}. */
  static Optional<TypeElement> classValue(AnnotationMirror mirror, String name) {
    return value(mirror, name)
        .map(v -> (TypeMirror) v.getValue())
        .filter(t -> t instanceof DeclaredType)
        .map(t -> (TypeElement) ((DeclaredType) t).asElement());
  }

  /** The annotations of a repeatable annotation: {@code single} itself or the values of {@code container}. */
  static List<AnnotationMirror> repeated(Element element, String single, String container) {
    List<AnnotationMirror> out = new ArrayList<>();
    find(element, single).ifPresent(out::add);
    find(element, container)
        .ifPresent(c -> list(c, "value").forEach(v -> out.add((AnnotationMirror) v.getValue())));
    return out;
  }
}

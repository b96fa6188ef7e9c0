package io.pgpubsub.processor.internal;

import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;

/**
 * Where a model part came from, for diagnostics and originating elements only: writers never read the
 * element.
 */
public record Where(Element element, AnnotationMirror annotation, AnnotationValue value) {

  public static Where of(Element element) {
    return new Where(element, null, null);
  }

  public static Where of(Element element, AnnotationMirror annotation) {
    return new Where(element, annotation, null);
  }

  public Where at(AnnotationValue v) {
    return new Where(element, annotation, v);
  }
}

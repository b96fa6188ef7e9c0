package io.pgpubsub.processor.internal;

import java.io.PrintWriter;
import java.io.StringWriter;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.tools.Diagnostic.Kind;

/** The one way diagnostics leave the processor; remembers whether any error was reported. */
public final class Reporter {

  private final Messager messager;
  private boolean errors;

  public Reporter(Messager messager) {
    this.messager = messager;
  }

  public void report(Where where, Message message, Object... args) {
    if (where == null) {
      report(null, null, null, message, args);
    } else {
      report(where.element(), where.annotation(), where.value(), message, args);
    }
  }

  public void report(
      Element element, AnnotationMirror annotation, AnnotationValue value, Message message, Object... args) {
    if (message.kind() == Kind.ERROR) {
      errors = true;
    }
    String text = message.format(args);
    if (element == null) {
      messager.printMessage(message.kind(), text);
    } else if (annotation == null) {
      messager.printMessage(message.kind(), text, element);
    } else if (value == null) {
      messager.printMessage(message.kind(), text, element, annotation);
    } else {
      messager.printMessage(message.kind(), text, element, annotation, value);
    }
  }

  /** Turns an unexpected throwable into one error on the element being processed. */
  public void internalError(Element element, Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    report(element, null, null, Message.INTERNAL_ERROR, element == null ? "the compilation" : element, t, trace);
  }

  public boolean hasErrors() {
    return errors;
  }
}

package io.pgpubsub.processor.internal;

import java.util.List;

/**
 * A Java type as generated code names it.
 *
 * @param packageName the package ("" for the unnamed package)
 * @param simpleNames outermost first
 * @param binaryName as {@code Class.getName()} spells it
 * @param access what keeps generated code from referencing it
 */
public record TypeRef(String packageName, List<String> simpleNames, String binaryName, Access access) {

  public TypeRef {
    simpleNames = List.copyOf(simpleNames);
  }

  public String simpleName() {
    return simpleNames.get(simpleNames.size() - 1);
  }

  public String canonicalName() {
    String nested = String.join(".", simpleNames);
    return packageName.isEmpty() ? nested : packageName + "." + nested;
  }

  @Override
  public String toString() {
    return canonicalName();
  }

  /**
   * Why code cannot reference a type or member: {@code fromOtherPackage} applies to code in another package,
   * {@code fromSamePackage} to code in the same package; null means no problem.
   */
  public record Access(String fromOtherPackage, String fromSamePackage) {

    public static final Access OPEN = new Access(null, null);

    public String problemFrom(String packageName, String ownPackage) {
      return packageName.equals(ownPackage) ? fromSamePackage : fromOtherPackage;
    }
  }
}

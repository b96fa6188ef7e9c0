package org.springframework.boot.autoconfigure.orm.jpa;

/** Stands for Spring Boot 3's class on a compile class path (only its name is looked up). */
public class HibernateJpaAutoConfiguration {}

package org.springframework.boot.hibernate.autoconfigure;

/** Stands for Spring Boot 4's class on a compile class path (only its name is looked up). */
public class HibernateJpaAutoConfiguration {}

package com.example.bad;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
public class Unchanneled {
  @Id public Long id;
}

package com.example.b;

import com.example.a.Visible;
import io.pgpubsub.PostSaveListener;

class PackageListeners {

  @PostSaveListener
  public void onSave(Visible visible) {}

  @PostSaveListener
  void notPublic(Visible visible) {}
}

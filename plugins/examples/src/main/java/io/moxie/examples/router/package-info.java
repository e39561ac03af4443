/** An example third-party router plugin: the template for writing your own. */
package io.moxie.examples.router;

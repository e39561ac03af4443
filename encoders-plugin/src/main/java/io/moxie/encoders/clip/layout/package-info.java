/**
 * The key layouts a CLIP vision tower checkpoint comes in (LLaVA/CuMo, Hugging Face, OpenAI / open_clip) and a view
 * that presents any of them under one set of names, so the tower code reads a single layout.
 */
package io.moxie.encoders.clip.layout;

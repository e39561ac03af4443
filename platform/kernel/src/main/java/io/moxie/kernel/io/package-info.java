/**
 * The kernel's file formats: safetensors checkpoints ({@link io.moxie.kernel.io.SafetensorsFile},
 * {@link io.moxie.kernel.io.SafetensorsWriter}) and NumPy arrays ({@link io.moxie.kernel.io.Npy},
 * {@link io.moxie.kernel.io.Npz}), all as {@link io.moxie.kernel.tensor.HostTensor}s.
 *
 * <p>Readers validate a file completely before handing out data and report a bad one with the file and the key or
 * entry at fault: a checkpoint as {@link io.moxie.api.ModelFormatException}, a request's arrays as
 * {@link io.moxie.api.InvalidInputException}. Writers produce exactly the bytes the Python references produce
 * ({@code st.py}, numpy), and replace their target atomically.
 */
package io.moxie.kernel.io;

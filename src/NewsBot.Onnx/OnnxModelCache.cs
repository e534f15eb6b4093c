using System.Security.Cryptography;
using System.Text;

namespace NewsBot.Onnx;

/// <summary>
/// Extracts a model's embedded ONNX file to <c>{cacheDirectory}/models/</c> once, so that sessions are created
/// from a file path: measured here, that takes ~0.76 s against ~2.2 s for reading the resource and creating the
/// session from bytes.
/// </summary>
/// <remarks>
/// The file is named <c>{model id}-{key}.onnx</c>, where the key is a SHA-256 prefix over the resource
/// assembly's module version id, the resource name and its length: a new package version gets a new file,
/// and finding the file costs no read of the 90 MB model. A file is reused when its length equals the
/// resource's; anything else (a truncated copy, a foreign file) is replaced. Extraction writes a temporary
/// file in the same folder, flushes it to disk and renames it over the final name, so a crash or a concurrent
/// process never leaves a partial model under that name.
/// </remarks>
internal static class OnnxModelCache
{
    /// <summary>Returns the path of the extracted model, extracting it first when needed.</summary>
    /// <param name="extracted">True when this call wrote the file.</param>
    public static string EnsureModelFile(LocalModelSpec spec, string cacheDirectory, out bool extracted)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        extracted = false;

        using var resource = spec.OpenResource(spec.ModelResource);
        long length = resource.Length;
        var directory = Path.Combine(Path.GetFullPath(cacheDirectory), "models");
        var path = Path.Combine(directory, $"{spec.ModelId}-{IdentityKey(spec, length)}.onnx");

        if (HasLength(path, length)) return path;

        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                PreallocationSize = length,
                BufferSize = 0,
            }))
            {
                resource.CopyTo(file, 1 << 20);
                file.Flush(flushToDisk: true);
            }

            if (new FileInfo(temp).Length != length)
                throw new IOException($"Extracting {spec.ModelResource} to {temp} wrote a file of the wrong length.");

            try
            {
                File.Move(temp, path, overwrite: true);
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && HasLength(path, length))
            {
                // Another process put a complete copy in place first (and, on Windows, may hold it open).
                return path;
            }

            extracted = true;
            return path;
        }
        finally
        {
            if (File.Exists(temp))
            {
                try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    static bool HasLength(string path, long length)
    {
        var info = new FileInfo(path);
        return info.Exists && info.Length == length;
    }

    static string IdentityKey(LocalModelSpec spec, long length)
    {
        var identity = $"{spec.ResourceAssembly.ManifestModule.ModuleVersionId:N}|{spec.ModelResource}|{length}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..12];
    }
}

using System.Runtime.InteropServices;

namespace NewsBot.Benchmarking;

public sealed record MachineInfo(int Cores, string Cpu, string Os, string Dotnet, string Simd)
{
    public static MachineInfo Current()
    {
        string cpu = "unknown";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        var simd = System.Runtime.Intrinsics.X86.Avx512BW.IsSupported ? "AVX-512" : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "AVX2" : "portable";
        return new MachineInfo(Environment.ProcessorCount, cpu, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, simd);
    }
}

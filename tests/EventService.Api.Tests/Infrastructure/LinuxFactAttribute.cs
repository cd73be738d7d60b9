namespace EventService.Api.Tests.Infrastructure;

/// <summary>A fact that runs on Linux only and is reported as skipped elsewhere (xunit 2 has no skip from inside a test).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Needs Linux: sends SIGTERM with kill(1).";
        }
    }
}

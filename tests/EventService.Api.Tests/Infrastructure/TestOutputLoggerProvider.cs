using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>Routes the host's logs to the output of the test that is running, so a failure shows the server side.</summary>
public sealed class TestOutputLoggerProvider : ILoggerProvider
{
    // Integration tests run one at a time (one collection), so one current output is enough.
    public static ITestOutputHelper? Current { get; set; }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                Current?.WriteLine($"[{logLevel}] {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; the line has nowhere to go.
            }
        }
    }
}

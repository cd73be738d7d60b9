using System.Text.Json;
using EventService.Domain.Catalog;
using EventService.Domain.Events;
using static EventService.Domain.Tests.TestData;

namespace EventService.Domain.Tests;

public sealed class SampleBatchTests
{
    private static readonly string BatchJson = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data-streamer-batch.json"));

    public static TheoryData<int> Indexes() => [0, 1, 2, 3, 4, 5, 6, 7];

    private static EventValidationResult ValidateSample(int index)
    {
        using var document = JsonDocument.Parse(BatchJson);
        return Validator.Validate(document.RootElement[index], Context());
    }

    [Fact]
    public void The_sample_batch_holds_eight_events()
    {
        using var document = JsonDocument.Parse(BatchJson);

        Assert.Equal(8, document.RootElement.GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Each_sample_event_is_valid_on_2026_11_21(int index)
    {
        var e = AssertValid(ValidateSample(index));

        Assert.Equal(351732524384257 + index, e.Id);
    }

    [Fact]
    public void The_samples_are_rejected_once_they_fall_out_of_the_window()
    {
        using var document = JsonDocument.Parse(BatchJson);
        var later = Context(now: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.All(document.RootElement.EnumerateArray(), item => AssertErrorsAt(Validator.Validate(item, later), "timestamp"));
    }

    [Fact]
    public void The_samples_quirks_are_read_tolerantly()
    {
        var policyControlByName = AssertValid(ValidateSample(1));
        Assert.Equal(EventSource.PolicyControl, policyControlByName.Source);
        Assert.Equal(EventSeverity.Warn, policyControlByName.Severity);
        Assert.Null(policyControlByName.Imei);

        var iccidAsNumber = AssertValid(ValidateSample(2));
        Assert.Equal("8988303000000012345", iccidAsNumber.Iccid);
        Assert.Contains("\"iccid\":\"8988303000000012345\"", iccidAsNumber.EntitiesJson);

        var alertAsOne = AssertValid(ValidateSample(3));
        Assert.True(alertAsOne.Alert);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 42, 58, TimeSpan.Zero), alertAsOne.Timestamp);
        Assert.Equal("""{"organisation":{"id":4712,"name":"Beta Meters"}}""", alertAsOne.EntitiesJson);
        Assert.Null(alertAsOne.DetailJson);
        Assert.Null(alertAsOne.UserId);

        Assert.Equal(EventSeverity.Info, AssertValid(ValidateSample(5)).Severity);
        Assert.Contains("\"future_field\":\"kept as is\"", AssertValid(ValidateSample(7)).DetailJson);
    }
}

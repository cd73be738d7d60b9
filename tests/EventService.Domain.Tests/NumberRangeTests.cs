using static EventService.Domain.Tests.TestData;

namespace EventService.Domain.Tests;

public sealed class NumberRangeTests
{
    [Theory]
    [InlineData("1e200000")]
    [InlineData("1e309")]
    [InlineData("-2.5E-400")]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123")]
    public void A_number_beyond_what_jsonb_and_javascript_hold_is_an_error_at_its_path(string number) =>
        AssertErrorsAt(Validate(EventWithRaw(x => x["detail"]!["volume"] = "@", number)), "detail.volume");

    [Theory]
    [InlineData("1e308")]
    [InlineData("-1.5e-300")]
    [InlineData("0.123456789012345678901234567890")]
    [InlineData("98765432109876543210")]
    public void A_number_within_range_is_kept_with_its_exact_digits(string number)
    {
        var e = AssertValid(Validate(EventWithRaw(x => x["detail"]!["volume"] = "@", number)));

        Assert.Contains("\"volume\":" + number, e.DetailJson, StringComparison.Ordinal);
    }

    [Fact]
    public void An_extra_property_beyond_range_is_an_error_too() =>
        AssertErrorsAt(Validate(EventWithRaw(x => x["vendor"] = "@", "[1,9e999]")), "vendor[1]");
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EventService.Api.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a database or the host.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<EventsDbContext>
{
    public EventsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<EventsDbContext>()
            .UseNpgsql("Host=localhost;Database=eventservice_design")
            .UseSnakeCaseNamingConvention()
            .Options);
}

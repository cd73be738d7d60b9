using EventService.Api.Auth;
using EventService.Api.Catalog;
using EventService.Api.Infrastructure;
using EventService.Api.Infrastructure.ApiDocs;
using EventService.Api.Ingestion;
using EventService.Api.Query;
using EventService.Api.RateLimits;
using EventService.Api.Retention;
using EventService.Api.Storage;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceLogging();
builder.AddApiConventions();
builder.AddStorage();
builder.AddQueries();
builder.AddCatalog();
builder.AddCredentials();
builder.AddRateLimits();
builder.AddIngestion();
builder.AddRetention();
builder.AddHealth();
builder.AddApiDocs();

var app = builder.Build();

app.UseForwardedClients(); // Hosting:ForwardedHeaders, off by default
app.UseApiConventions();
app.UseAddressLimits(); // per remote address, before any credential costs a lookup
app.UseApiDocs();
app.UseCredentials();
app.UseRateLimits(); // partitioned by the credential just read; before authorization, so that refused ones count too
app.UseAuthorization();
app.MapControllers();
app.MapHealth(); // short-circuits at routing: no credential, no limit

await app.InitializeDatabaseAsync();
await app.InitializeCatalogAsync();
app.LogAddressesOnStart();
await app.RunAsync();

/// <summary>The host's entry point; public for the integration tests' WebApplicationFactory.</summary>
public partial class Program;

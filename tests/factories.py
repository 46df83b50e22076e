import factory

from agencies.models import Agency, AgencyAlias, Jurisdiction, User


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("name",)

    name = "济南市"
    level = Jurisdiction.Level.CITY
    prefix = "市"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("jurisdiction", "name")

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = factory.Sequence(lambda n: f"市测试{n}局")


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyAlias

    agency = factory.SubFactory(AgencyFactory)
    jurisdiction = factory.SelfAttribute("agency.jurisdiction")
    name = factory.Sequence(lambda n: f"市测{n}局")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    agency = factory.SubFactory(AgencyFactory)
    role = User.Role.STAFF

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import category_list


class CategoryListApi(APIView):
    permission_classes = (AllowAny,)

    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        name = serializers.CharField()
        name_zh = serializers.CharField()
        parent = serializers.CharField(source="parent.slug", allow_null=True, read_only=True)

    @extend_schema(
        responses={200: inline_serializer("CategoryList", {"results": OutputSerializer(many=True)})}
    )
    def get(self, request):
        categories = category_list()
        return Response({"results": self.OutputSerializer(categories, many=True).data})
